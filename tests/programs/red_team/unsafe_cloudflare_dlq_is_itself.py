"""A Cloudflare consumer whose dead-letter queue is the queue it consumes."""
import pulumi_cloudflare as cloudflare

EXPECTED = "cloudflare-dlq-not-self"
queue = cloudflare.Queue("events", account_id="0123456789abcdef0123456789abcdef", queue_name="events")
cloudflare.QueueConsumer("events-consumer", account_id="0123456789abcdef0123456789abcdef", queue_id=queue.queue_id,
                         script_name="events-worker", type="worker", dead_letter_queue=queue.queue_name,
                         settings={"batch_size": 10, "max_retries": 3})
