"""Live checks against a deployed stack with boto3: the doctor's gathering and diagnosis, load and redrive."""
