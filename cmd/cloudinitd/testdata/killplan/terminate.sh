#!/bin/sh
echo terminating
