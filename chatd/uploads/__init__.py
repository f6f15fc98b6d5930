"""Files people share: uploads over HTTP (the web client, IRC clients through ``draft/FILEHOST``),
kept under the state directory or ``--upload-dir``, served back with headers that never let a file
act as a page of the chat's origin.  A file becomes a message carrying its URL."""
