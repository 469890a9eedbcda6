#!/bin/sh
# EC2 user data (cloud-init runs it at first boot, before cloudinitd's
# bootpgm): a marker that the instance booted with our user data.
echo "cloudinitd example" > /etc/cloudinitd-example
