using Doctor.State;

namespace Doctor.Notification;

/// <summary>Where the engine hands what it changed; must return quickly (it runs on the engine's thread).</summary>
public interface INoticeSink
{
    void Publish(IReadOnlyList<Notice> notices, DoctorState state);
}
