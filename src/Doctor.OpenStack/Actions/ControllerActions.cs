using Doctor.Notification;
using Doctor.OpenStack.Sync;
using Doctor.Profiling;
using Doctor.State;

namespace Doctor.OpenStack.Actions;

/// <summary>
/// The notice sink of OpenStack mode: the owners' notifications first (the inner notifier queues them for delivery),
/// then the cloud's corrections queued behind them, so no owner ever waits for Nova or Neutron (the original Doctor's
/// "shortcut"). Runs on the engine's thread and only queues work.
/// </summary>
public sealed class ControllerActions(INoticeSink notifier, ActionRunner runner, OpenStackOptions options, CloudStatus status, TimelineBook timelines)
    : INoticeSink
{
    public void Publish(IReadOnlyList<Notice> notices, DoctorState state)
    {
        notifier.Publish(notices, state);
        foreach (var notice in notices)
        {
            foreach (var action in ActionPlan.For(notice, state, options, status.DataPlaneSupported, timelines, runner.LastDecided))
                _ = runner.Enqueue(action);
        }
    }
}
