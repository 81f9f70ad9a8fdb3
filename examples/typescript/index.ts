// The event-backlog queue workload from TypeScript: qcap plans the capacity profile (the one in
// stacks/event-backlog.yaml) and builds its queues, consumers, alarms and dashboard, as the
// Python program does. The profile is type-checked: enums, required fields, numbers.
import * as pulumi from "@pulumi/pulumi";
import * as qcap from "@pulumi/qcap";

const config = new pulumi.Config();

const events = new qcap.QueueWorkload("events", {
    subnetIds: config.requireObject<string[]>("subnetIds"),  // private, with NAT or VPC endpoints
    securityGroupIds: config.requireObject<string[]>("securityGroupIds"),
    // Or keep the profile in its file: profileYaml: fs.readFileSync("../../stacks/event-backlog.yaml", "utf8")
    profile: {
        environment: "prod",
        alerts: { emails: ["oncall@example.com"] },
        workloads: [{
            name: "events",
            broker: "sqs",
            traffic: {
                messagesPerDay: 600000,
                peakToAverage: 1.0,
                troughToAverage: 0.5,
                messageBytes: 2048,
                backlogMessages: 2800000,
            },
            consumer: {
                processingSeconds: 2.0,
                processingP99Seconds: 4.0,
                concurrencyPerTask: 1,
                receiveBatch: 10,
                taskCpu: 512,
                taskMemoryMib: 1024,
                image: "123456789012.dkr.ecr.ap-south-1.amazonaws.com/sqs-consumer:latest",
                currentTasks: 15,
            },
            objective: { maxAgeSeconds: 300, drainBacklogWithinHours: 336 },
            sink: { name: "Redshift" },
            retries: { maxReceives: 5 },
        }],
    },
});

export const queueUrl = events.queueUrls.apply(urls => urls["events"]);
export const plan = events.plan;  // by queue: minTasks, maxTasks, targetBacklogPerTask, retention, monthly cost
export const monthlyCostUsd = events.monthlyCostUsd;
export const dashboardUrl = events.dashboardUrl;
