// bertkit: registers the heads this executable ships, then runs BertKit's command line.
import Heads
import Runner

BuiltInHeads.register()
BertKitCommand.main()
