# A harness broken on purpose: it says why on stderr and exits with status 3 before answering.
read -r request
echo "till: the database is gone" >&2
exit 3
