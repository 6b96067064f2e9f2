#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Interactive: `tools/testing/vm/run [--nodes N] shell` gives a root shell
# on node1's console in your terminal (raftblk.ko at $RAFTBLK_KO, lib.sh
# helpers available after ". /lib.sh"). The other nodes just stay up as
# peers. Leaving the shell (exit, Ctrl-D) ends the run.
. /lib.sh

if [ "$NODE" != 1 ]; then
	echo "node$NODE: up, idle until the shell on node1 ends"
	while :; do sleep 3600; done
fi
echo
echo "raftblk VM: node1 of $NODES, $ADDR, peers: ${PEERS:-none}, kernel $KVER"
echo "insmod \$RAFTBLK_KO loads raftblk; exit (or Ctrl-D) powers off."
setsid cttyhack sh -l </dev/console >/dev/console 2>&1
echo "shell ended (rc $?)"
