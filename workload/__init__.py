"""What the harness asks of the service: the operations, the scenario and the data policy.

The flow of the project is client -> workload -> drivers / Locust -> run folder
-> analysis -> reports. Both harnesses take their operations, weights and
parameters from here, so one scenario measures the same work under
``bench.py run`` and under Locust.
"""
