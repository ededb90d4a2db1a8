using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Subscriptions;

public class WireNamesTests
{
    [Theory]
    [InlineData("fault", NotificationType.Fault)]
    [InlineData("fault_cleared", NotificationType.FaultCleared)]
    [InlineData("maintenance", NotificationType.Maintenance)]
    public void NotificationTypes_WireNames_RoundTrip(string name, NotificationType type)
    {
        Assert.True(NotificationTypes.TryParse(name, out var parsed));
        Assert.Equal(type, parsed);
        Assert.Equal(name, type.Name());
    }

    [Theory]
    [InlineData("host", ResourceType.Host)]
    [InlineData("server", ResourceType.Server)]
    [InlineData("port", ResourceType.Port)]
    [InlineData("device", ResourceType.Device)]
    public void ResourceTypes_WireNames_RoundTrip(string name, ResourceType type)
    {
        Assert.True(ResourceTypes.TryParse(name, out var parsed));
        Assert.Equal(type, parsed);
        Assert.Equal(name, type.Name());
    }

    [Fact]
    public void ResourceTypes_PhysicalOnes_AreHostAndDevice()
    {
        Assert.Equal([ResourceType.Host, ResourceType.Device], Enum.GetValues<ResourceType>().Where(t => t.IsPhysical()));
    }

    [Theory]
    [InlineData("normal", ServerState.Normal)]
    [InlineData("error", ServerState.Error)]
    [InlineData("down", ServerState.Down)]
    [InlineData("maintenance", ServerState.Maintenance)]
    public void ServerStates_WireNames_RoundTrip(string name, ServerState state)
    {
        Assert.True(ServerStates.TryParse(name, out var parsed));
        Assert.Equal(state, parsed);
        Assert.Equal(name, state.Name());
    }

    [Theory]
    [InlineData("Fault")]
    [InlineData("servers")]
    [InlineData("")]
    public void TryParse_UnknownNames_NotParsed(string name)
    {
        Assert.False(NotificationTypes.TryParse(name, out _));
        Assert.False(ResourceTypes.TryParse(name, out _));
        Assert.False(ServerStates.TryParse(name, out _));
    }
}
