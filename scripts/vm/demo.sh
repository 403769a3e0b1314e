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
run 'rmmod message_slot'
