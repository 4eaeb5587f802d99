"""The local stack: a MySQL 9.7 source (or MariaDB 10.11) and a Vitess v24 cluster on 127.0.0.1, run by pocflow."""

from pocflow.local.stack.stack import ComponentStatus, Stack

__all__ = ["ComponentStatus", "Stack"]
