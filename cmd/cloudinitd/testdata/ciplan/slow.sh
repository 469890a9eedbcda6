#!/bin/sh
echo "booting slowly"
sleep 600
