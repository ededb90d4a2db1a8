using Doctor.Notification;

namespace Doctor.Core.Tests.Notification;

public class NotificationIdsTests
{
    [Fact]
    public void For_SameInputs_GivesTheSameId()
    {
        Assert.Equal(NotificationIds.For("e-1", "sub-1", "fault"), NotificationIds.For("e-1", "sub-1", "fault"));
    }

    [Fact]
    public void For_AnyInputDiffers_GivesAnotherId()
    {
        var id = NotificationIds.For("e-1", "sub-1", "fault");

        Assert.NotEqual(id, NotificationIds.For("e-2", "sub-1", "fault"));
        Assert.NotEqual(id, NotificationIds.For("e-1", "sub-2", "fault"));
        Assert.NotEqual(id, NotificationIds.For("e-1", "sub-1", "fault_cleared"));
    }

    [Fact]
    public void For_ConcatenationAmbiguity_GivesDifferentIds()
    {
        // "e-1" + "0/sub" must not collide with "e-10" + "/sub".
        Assert.NotEqual(NotificationIds.For("e-1", "0sub", "fault"), NotificationIds.For("e-10", "sub", "fault"));
    }

    [Fact]
    public void For_Result_IsAVersion8Uuid()
    {
        var id = NotificationIds.For("e-1", "sub-1", "fault");

        var guid = Guid.Parse(id);
        Assert.Equal(8, guid.Version);
        Assert.Equal(id, guid.ToString());
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
    }
}
