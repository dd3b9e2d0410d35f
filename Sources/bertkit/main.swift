// bertkit: registers the heads and task kinds this executable ships, then runs BertKit's command line.
import HeadsCRF
import Runner

BuiltIns.register()
CRFHeads.register()
BertKitCommand.main()
