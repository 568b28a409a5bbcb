// The `tessera` command. Until the server lands it only reports its version.
import BSON

print("tessera 0.1.0-dev")
