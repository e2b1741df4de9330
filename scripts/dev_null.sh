# Sourced by .ci/run and scripts/test.sh: ensure_dev_null puts /dev/null back as the null
# character device when something has replaced it with a regular file (found so on a
# machine run as root, by a program not identified; cargo's `rustc -` target probe, whose
# stdin is /dev/null, then read other programs' compiler errors as source and failed).
ensure_dev_null() {
  if [ -c /dev/null ]; then
    return 0
  fi
  if [ "$(id -u)" = 0 ]; then
    echo "platefit CI: /dev/null was a regular file ($(stat -c %s /dev/null) bytes); recreating the device" >&2
    rm -f /dev/null
    mknod -m 666 /dev/null c 1 3
  else
    echo "platefit CI: /dev/null is not the null device; cargo may fail (needs root to repair)" >&2
  fi
}
