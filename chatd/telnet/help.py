"""What ``/help`` tells a terminal user (the staff's commands are :data:`.staff.HELP`)."""

HELP = """Commands:
  /join #room [key]   join a room (it becomes your current room)
  /part [#room] [why] leave a room
  /msg nick text      send a private message (/msg NickServ HELP: accounts)
  /me action          act in the current room
  /nick newnick       change your nick
  /names [#room]      who is in a room
  /list               rooms and their sizes
  /topic [text]       show or set the current room's topic
  /away [message]     mark yourself away (no message: back)
  /search [#room] words  find stored messages (in one room, or all yours)
  /colors on|off      show IRC colours and bold as terminal colours (off: plain text)
  /help               this text
  /quit [message]     leave the chat
A line without a leading / goes to your current room."""
