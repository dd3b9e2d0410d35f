// libyaml (Debian: libyaml-dev): the event parser the task-file reader walks.
#include <yaml.h>
