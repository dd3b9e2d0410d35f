// bertkit-multilabel: BertKit's command line with one more head and task kind.
import MultiLabel
import Runner

BuiltIns.register()     // BertKit's own heads and task kinds
MultiLabel.register()   // this package's
BertKitCommand.main()
