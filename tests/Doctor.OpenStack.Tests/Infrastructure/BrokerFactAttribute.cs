namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>
/// A fact that needs a real RabbitMQ (<see cref="PrivateBroker"/>): reported as skipped, with the reason, where the Debian
/// package <c>rabbitmq-server</c> is not installed, so such a machine neither fails nor silently passes these tests.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrokerFactAttribute : FactAttribute
{
    public BrokerFactAttribute()
    {
        if (PrivateBroker.SkipReason is { } reason)
            Skip = reason;
    }
}
