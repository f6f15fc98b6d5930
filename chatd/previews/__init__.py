"""Link previews: title, description and image of the pages people link to, fetched by the
server within strict bounds (public addresses only, size, time, a cache), images re-served."""
