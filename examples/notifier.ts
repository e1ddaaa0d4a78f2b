// Deploy notifier: posts a message with attachments through an incoming webhook.
import type { Client, IncomingWebhookPayload } from 'matterkit'

export function deployNotification(service: string, version: string, ok: boolean): IncomingWebhookPayload {
  return {
    username: 'deploy-notifier',
    text: ok ? `Deployed **${service}** ${version}` : `Deploy of **${service}** failed`,
    attachments: [
      {
        color: ok ? 'good' : 'danger',
        title: `${service} ${version}`,
        fields: [
          { title: 'Service', value: service, short: true },
          { title: 'Version', value: version, short: true },
        ],
      },
    ],
  }
}

export async function notify(
  client: Client,
  hookIdOrUrl: string,
  service: string,
  version: string,
  ok = true,
): Promise<void> {
  await client.webhooks.post(hookIdOrUrl, deployNotification(service, version, ok))
}
