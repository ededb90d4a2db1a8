namespace Doctor.Server.Tests.Hostile;

/// <summary>
/// Tests that keep both cores busy (the fuzz loop). They run alone, after the parallel ones, so that their load does
/// not stretch the bounded waits of the other API tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadHeavy
{
    public const string Name = "load-heavy";
}
