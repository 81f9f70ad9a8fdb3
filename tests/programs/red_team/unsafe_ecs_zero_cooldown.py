"""A tracking policy with scale-in and scale-out cooldowns of 0: advised."""
import pulumi_aws as aws

EXPECTED = "scaling-cooldown-not-zero"
LEVEL = "advisory"
aws.appautoscaling.Policy("flappy", policy_type="TargetTrackingScaling", service_namespace="ecs",
                          scalable_dimension="ecs:service:DesiredCount", resource_id="service/main/flappy",
                          target_tracking_scaling_policy_configuration={
                              "target_value": 50, "scale_in_cooldown": 0, "scale_out_cooldown": 0,
                              "predefined_metric_specification": {
                                  "predefined_metric_type": "ECSServiceAverageCPUUtilization"}})
