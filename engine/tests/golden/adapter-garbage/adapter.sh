# A harness broken on purpose: it answers the first action with a line that is not JSON.
read -r request
echo "hello, this is the till speaking"
