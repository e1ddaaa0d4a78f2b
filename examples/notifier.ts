// Deploy notifier: posts a message with attachments through an incoming webhook (no bot needed).
import { attachment, type Client, type IncomingWebhookPayload } from 'matterkit'

export function deployNotification(service: string, version: string, ok: boolean): IncomingWebhookPayload {
  return {
    username: 'deploy-notifier',
    text: ok ? `Deployed **${service}** ${version}` : `Deploy of **${service}** failed`,
    attachments: [
      attachment({
        color: ok ? 'good' : 'danger',
        title: `${service} ${version}`,
        fields: { Service: service, Version: version },
      }),
    ],
  }
}

/** Send the notification to an incoming webhook (its id or full URL). */
export async function notify(
  client: Client,
  hookIdOrUrl: string,
  service: string,
  version: string,
  ok = true,
): Promise<void> {
  await client.webhooks.post(hookIdOrUrl, deployNotification(service, version, ok))
}
