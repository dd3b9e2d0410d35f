// bertkit: registers the heads and task kinds this executable ships, then runs BertKit's command line.
import Runner

BuiltIns.register()
BertKitCommand.main()
