// Server: accepts TCP connections and runs their messages through Commands. Placeholder
// until the NIO server lands.

import Commands
