"""The IRC adapter: RFC 2812 / Modern IRC with IRCv3 capabilities."""
