// Deploy bot: `/deploy <service> [env]` asks for approval with buttons; `/deploy` alone opens a
// dialog. Button context and dialog state are signed by the bot, so clicks cannot be forged.
import { Bot, type BotOptions, type CommandContext, type DialogContext, field } from 'matterkit'

const ENVS = ['staging', 'production']

export function createDeployBot(options: BotOptions): Bot {
  const bot = new Bot(options)

  /** Post an approval request with Approve / Reject buttons. */
  async function requestApproval(
    ctx: CommandContext | DialogContext,
    user: string,
    service: string,
    env: string,
  ) {
    await ctx.reply({
      message: `@${user} wants to deploy **${service}** to **${env}**.`,
      props: {
        attachments: [
          {
            color: env === 'production' ? 'danger' : 'good',
            actions: [
              ctx.button('approve', 'Approve', { context: { service, env }, style: 'primary' }),
              ctx.button('reject', 'Reject', { context: { service, env }, style: 'danger' }),
            ],
          },
        ],
      },
    })
  }

  bot.command(
    'deploy',
    {
      description: 'Deploy a service (no arguments: open a form)',
      args: [
        { name: 'service', description: 'what to deploy' },
        { name: 'env', choices: ENVS, default: 'staging' },
      ],
      examples: ['api production'],
    },
    async ctx => {
      const { service, env } = ctx.params as { service?: string; env: string }
      if (!service) {
        await ctx.openDialog({
          callback_id: 'deploy',
          title: 'Deploy a service',
          submit_label: 'Request',
          elements: [
            field.text('service', 'Service', { placeholder: 'api' }),
            field.select('env', 'Environment', ENVS, { default: 'staging' }),
          ],
        })
        return undefined
      }
      await requestApproval(ctx, ctx.command.user_name, service, env)
      return `Approval requested for ${service} → ${env}.`
    },
  )

  bot.dialog('deploy', async ctx => {
    const { service, env } = ctx.values as { service?: string; env?: string }
    if (!service) return ctx.fieldErrors({ service: 'Which service?' })
    const user = await ctx.user()
    await requestApproval(ctx, user.username, service, env ?? 'staging')
    return undefined
  })

  bot.action('approve', ctx => {
    const { service, env } = ctx.values as { service: string; env: string }
    ctx.update({
      message: `✅ ${service} → ${env} approved by @${ctx.action.user_name}`,
      props: { attachments: [] },
    })
  })
  bot.action('reject', ctx =>
    ctx.update({ message: `❌ rejected by @${ctx.action.user_name}`, props: { attachments: [] } }),
  )
  return bot
}
