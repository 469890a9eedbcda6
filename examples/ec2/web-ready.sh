#!/bin/sh
test -s "$HOME/web/config" && test -s /etc/cloudinitd-example
