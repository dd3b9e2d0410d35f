// bertkit: registers the heads, task kinds and commands this executable ships, then runs
// BertKit's command line.
import HeadsCRF
import Runner
import Serving

BuiltIns.register()
CRFHeads.register()
BertKitCommand.register(subcommand: ServeCommand.self)
BertKitCommand.main()
