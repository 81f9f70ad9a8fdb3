"""A Cloudflare consumer with max_retries 0 in a dev stack: advised."""
import pulumi_cloudflare as cloudflare

EXPECTED = "cloudflare-retries-set"
LEVEL = "advisory"
ACCOUNT = "0123456789abcdef0123456789abcdef"
queue = cloudflare.Queue("clicks", account_id=ACCOUNT, queue_name="clicks")
cloudflare.Queue("clicks-dlq", account_id=ACCOUNT, queue_name="clicks-dlq")
cloudflare.QueueConsumer("clicks-consumer", account_id=ACCOUNT, queue_id=queue.queue_id, script_name="clicks",
                         type="worker", dead_letter_queue="clicks-dlq", settings={"max_retries": 0})
