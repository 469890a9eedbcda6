#!/bin/sh
echo "configured by user data" > /etc/motd
