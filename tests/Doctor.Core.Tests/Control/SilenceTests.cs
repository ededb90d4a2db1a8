using Doctor.Control;
using Doctor.Core.Tests.Support;
using Doctor.Faults;
using Doctor.Silences;

namespace Doctor.Core.Tests.Control;

public class SilenceTests
{
    private readonly ProcessorHarness _doctor = new(TopologyMap.State());

    private IEnumerable<Fault> Faults => _doctor.State.Faults.All.After(null);

    private void Silence(string id, SilenceMatchers matchers, int fromMinute = 0, int toMinute = 60) =>
        _doctor.State = _doctor.State with
        {
            Silences = SilenceBook.From(
            [
                .. _doctor.State.Silences.All.After(null),
                new Silence
                {
                    SilenceId = id, Matchers = matchers, StartsAt = TestMap.Start.AddMinutes(fromMinute),
                    EndsAt = TestMap.Start.AddMinutes(toMinute), CreatedAt = TestMap.Start,
                },
            ]),
        };

    [Fact]
    public void Process_HostSilenced_EveryFaultOfTheHostSuppressedByThatSilence()
    {
        Silence("s-1", new SilenceMatchers { Hostname = "host-a1" });

        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));

        Assert.All(Faults, f => Assert.Equal(Suppressions.Silence("s-1"), f.SuppressedBy));
        Assert.False(_doctor.State.Map.Hosts.Get("host-a1")!.Up); // a silence mutes, it does not hide the truth
    }

    [Fact]
    public void Process_DeviceSilenced_TheWholeOutbreakBehindItSuppressed()
    {
        Silence("s-1", new SilenceMatchers { DeviceId = "tor-a" });

        _doctor.Apply(TopologyMap.DeviceEvent("network.switch.down", "tor-a", "e-1"));

        Assert.NotEmpty(Faults);
        Assert.All(Faults, f => Assert.Equal(Suppressions.Silence("s-1"), f.SuppressedBy));
    }

    [Fact]
    public void Process_FaultTypeSilenceNotMatching_NotSuppressed()
    {
        Silence("s-1", new SilenceMatchers { FaultType = "compute.host.nic.*" });

        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));

        Assert.All(Faults, f => Assert.Null(f.SuppressedBy));
    }

    [Fact]
    public void Process_SilenceNotYetActive_NotSuppressed()
    {
        Silence("s-1", new SilenceMatchers { Hostname = "host-*" }, fromMinute: 30);

        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));

        Assert.All(Faults, f => Assert.Null(f.SuppressedBy));
    }

    [Fact]
    public void Process_ResourceSilenced_OnlyThatServersFaultSuppressed()
    {
        Silence("s-1", new SilenceMatchers { ResourceId = "vm-1" });

        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));

        Assert.Equal(["vm-1"], Faults.Where(f => f.IsSuppressed).Select(f => f.ResourceId));
    }
}
