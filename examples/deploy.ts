// Deploy bot: /deploy opens a dialog; the submission posts an approval request with buttons.
import { Bot, type BotOptions } from 'matterkit'

export function createDeployBot(options: BotOptions): Bot {
  const bot = new Bot(options)
  bot.command(
    'deploy',
    async ctx => {
      if (ctx.args[0]) return requestApproval(ctx.args[0], ctx.args[1] ?? 'staging')
      await ctx.openDialog({
        callback_id: 'deploy',
        title: 'Deploy a service',
        submit_label: 'Request',
        elements: [
          { display_name: 'Service', name: 'service', type: 'text', placeholder: 'api' },
          {
            display_name: 'Environment',
            name: 'env',
            type: 'select',
            options: [
              { text: 'staging', value: 'staging' },
              { text: 'production', value: 'production' },
            ],
          },
        ],
      })
      return undefined
      async function requestApproval(service: string, env: string) {
        await ctx.client.posts.create({
          channel_id: ctx.channelId,
          message: `@${ctx.command!.user_name} wants to deploy **${service}** to **${env}**.`,
          props: {
            attachments: [
              {
                color: env === 'production' ? 'danger' : 'good',
                actions: [
                  bot.button('approve', 'Approve', { service, env }, 'primary'),
                  bot.button('reject', 'Reject', { service, env }, 'danger'),
                ],
              },
            ],
          },
        })
        return { response_type: 'ephemeral' as const, text: `Approval requested for ${service} → ${env}.` }
      }
    },
    { description: 'Deploy a service', hint: '[service] [env]' },
  )
  bot.dialog('deploy', async ctx => {
    const { service, env } = ctx.dialogSubmission!.submission as { service?: string; env?: string }
    if (!service) return ctx.fieldErrors({ service: 'Which service?' })
    await ctx.client.posts.create({
      channel_id: ctx.channelId,
      message: `Deploy **${service}** to **${env ?? 'staging'}**?`,
      props: {
        attachments: [
          { actions: [bot.button('approve', 'Approve', { service, env: env ?? 'staging' }, 'primary')] },
        ],
      },
    })
    return undefined
  })
  bot.action('approve', ctx => {
    const { service, env } = ctx.action!.context as { service: string; env: string }
    return ctx.update({
      message: `✅ ${service} → ${env} approved by @${ctx.action!.user_name}`,
      props: { attachments: [] },
    })
  })
  bot.action('reject', ctx =>
    ctx.update({ message: `❌ rejected by @${ctx.action!.user_name}`, props: { attachments: [] } }),
  )
  return bot
}
