#!/bin/sh
echo "cloud API: credentials expired" >&2
exit 1
