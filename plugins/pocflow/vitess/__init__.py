"""The Vitess target: vtctldclient, workflows, VSchema."""
