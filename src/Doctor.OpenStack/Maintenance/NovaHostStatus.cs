using Doctor.OpenStack.Nova;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Maintenance;

/// <summary>
/// A compute service's enabled status as maintenance sets it. Ownership lives in Nova, in the service's
/// <c>disabled_reason</c>: Doctor disables an enabled service with a reason naming the session
/// (<see cref="NovaMaintenance.Reason"/>), and enables only a service whose reason is Doctor's. A service someone else
/// disabled stays as it is, before, during and after the session; nothing about it has to survive a restart of Doctor.
/// </summary>
public static partial class NovaHostStatus
{
    public static async Task ApplyAsync(NovaClient nova, string host, bool enable, string reason, ILogger logger, CancellationToken cancellationToken)
    {
        var current = await nova.ComputeServiceAsync(host, cancellationToken);
        if (current is null)
        {
            LogNoService(logger, host);
            return;
        }

        if (enable)
        {
            if (current.Enabled)
                return;
            if (!NovaMaintenance.IsDoctors(current.DisabledReason))
            {
                LogLeftDisabled(logger, host, current.DisabledReason ?? "(no reason given)");
                return;
            }

            await nova.SetEnabledAsync(current.Id, true, null, cancellationToken);
            LogEnabled(logger, host);
            return;
        }

        if (!current.Enabled)
        {
            if (!NovaMaintenance.IsDoctors(current.DisabledReason))
            {
                LogAlreadyDisabled(logger, host, current.DisabledReason ?? "(no reason given)");
                return;
            }

            if (current.DisabledReason == reason)
                return;
            // Disabled by an earlier session of Doctor's (e.g. one that ended while Doctor was away): this one takes it over.
        }

        await nova.SetEnabledAsync(current.Id, false, reason, cancellationToken);
        LogDisabled(logger, host, reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Compute service of {Host} disabled in Nova: {Reason}")]
    private static partial void LogDisabled(ILogger logger, string host, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Compute service of {Host} enabled in Nova again (Doctor's maintenance had disabled it)")]
    private static partial void LogEnabled(ILogger logger, string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "Compute service of {Host} was already disabled by someone else ({Reason}): Doctor leaves it disabled and will not enable it")]
    private static partial void LogAlreadyDisabled(ILogger logger, string host, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Compute service of {Host} stays disabled: it was not Doctor's maintenance that disabled it ({Reason})")]
    private static partial void LogLeftDisabled(ILogger logger, string host, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nova has no nova-compute service on {Host}: its status is left alone")]
    private static partial void LogNoService(ILogger logger, string host);
}
