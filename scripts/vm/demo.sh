# SPDX-License-Identifier: GPL-2.0
# The README's "How to use" sequence, run for real inside the demo VM.
cd /root || exit 1

run() {
	echo "\$ $1"
	eval "$1"
	status=$?
	# message_reader prints the raw message, without a newline.
	case $1 in *message_reader*) echo ;; esac
	[ $status = 0 ] || { echo "(exit status $status)"; exit 1; }
}

run 'insmod message_slot.ko'
run 'mknod /dev/slot0 c 235 0'
run 'chmod 666 /dev/slot0'
run './message_sender /dev/slot0 3 "hello world"'
run './message_reader /dev/slot0 3'
echo
echo "# A second channel is independent, and messages persist:"
run './message_sender /dev/slot0 7 "a message on channel 7"'
run './message_reader /dev/slot0 7'
run './message_reader /dev/slot0 3'
echo
echo "# A second reader, another user in another process, sees it too:"
run 'su -s /bin/sh nobody -c "./message_reader /dev/slot0 3"'
echo
echo "# The module also made a node for minor 0 itself (devtmpfs), for root"
echo "# only: another user cannot open it..."
run 'ls -l /dev/message_slot0'
echo '$ su -s /bin/sh nobody -c "./message_reader /dev/message_slot0 3"'
if su -s /bin/sh nobody -c "./message_reader /dev/message_slot0 3"; then
	echo "(a user other than root opened a node mode 0600)"
	exit 1
fi
echo
echo "# ...until a udev rule opens it, such as this one in"
echo "# /etc/udev/rules.d/60-message_slot.rules (this VM has no udev, so"
echo "# chmod does what the rule would):"
echo '#   KERNEL=="message_slot[0-9]*", MODE="0666"'
run 'chmod 666 /dev/message_slot0'
run 'su -s /bin/sh nobody -c "./message_reader /dev/message_slot0 3"'
echo
echo "# A follower waits in poll() and prints each new message on a line:"
./message_reader --follow /dev/message_slot0 5 >/tmp/follow.out &
follower=$!
echo "\$ ./message_reader --follow /dev/message_slot0 5 >/tmp/follow.out &"
# Write only once it sleeps in poll(), so that the writes must wake it.
wait_for() {
	tries=0
	until eval "$1"; do
		tries=$((tries + 1))
		[ $tries -lt 1000000 ] || { echo "(gave up: $1)"; exit 1; }
	done
}
wait_for '[ "$(cut -d " " -f 3 /proc/$follower/stat)" = S ]'
run 'cat /proc/$follower/wchan; echo'
run './message_sender /dev/message_slot0 5 "first news"'
# The next message only once this one is printed: a channel holds one.
wait_for '[ "$(wc -l </tmp/follow.out)" -ge 1 ]'
run './message_sender /dev/message_slot0 5 "second news"'
wait_for '[ "$(wc -l </tmp/follow.out)" -ge 2 ]'
run 'kill $follower'
run 'cat /tmp/follow.out'
echo
echo "# The channel's length and stamp (the number of the slot's write that"
echo "# stored its message), then a clear, which removes the channel:"
run './message_channel /dev/message_slot0 5 info'
run './message_channel /dev/message_slot0 5 clear'
run './message_channel /dev/message_slot0 5 info'
echo
echo "# The slot's statistics (messages and bytes held, writes):"
stats=/sys/class/message_slot/message_slot0
run "grep . $stats/held_messages $stats/held_bytes $stats/writes"
echo
echo "# 32-bit builds of the samples (gcc -m32 -static), through compat_ioctl:"
run './message_sender_32 /dev/message_slot0 6 "from a 32-bit program"'
run './message_reader_32 /dev/message_slot0 6'
run './message_channel_32 /dev/message_slot0 6 info'
run 'rmmod message_slot'
