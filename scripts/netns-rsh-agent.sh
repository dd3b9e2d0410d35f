#!/bin/sh
# netns-rsh-agent.sh: Open MPI's launch agent (`--mca plm_rsh_agent`) for "hosts" that are network
# namespaces on this machine, in place of ssh; scripts/two-hosts.sh uses it.
#
# Open MPI 4.1.4 calls its agent as ssh:  AGENT HOST WORD...  where the words are one shell
# command line cut at the spaces, quoting kept for the remote shell, e.g.
#   10.23.0.2 ' orted' -mca ess '"env"' -mca ess_base_jobid '"903544832"' ... -mca orte_hnp_uri '"...;tcp://10.23.0.1:..."'
# so the words are joined again and given to sh, as sshd would, inside the namespace that owns
# HOST: the one with HOST as an address on one of its interfaces, or the one named HOST.
set -eu
if [ $# -lt 2 ]; then
  echo "netns-rsh-agent.sh: usage: netns-rsh-agent.sh HOST COMMAND..." >&2
  exit 2
fi
host=$1
shift
namespace=""
for candidate in $(ip netns list | cut -d' ' -f1); do
  if [ "$candidate" = "$host" ] || ip -n "$candidate" -o addr show | grep -q "inet6\{0,1\} $host/"; then
    namespace=$candidate
    break
  fi
done
if [ -z "$namespace" ]; then
  echo "netns-rsh-agent.sh: no network namespace has the address or name '$host' (ip netns list: $(ip netns list | cut -d' ' -f1 | tr '\n' ' '))" >&2
  exit 255  # what ssh returns when it cannot reach the host
fi
exec ip netns exec "$namespace" /bin/sh -c "$*"
