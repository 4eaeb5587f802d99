"""The local rig: the stack, the sample shop and the local Airflow that run pocflow on one machine.

Demos and tests use it; it does not ship to a customer's Airflow. The product reaches it only
through what it registers (see :mod:`pocflow.extensions`).
"""
