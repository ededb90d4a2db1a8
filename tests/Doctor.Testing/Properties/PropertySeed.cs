using FsCheck;
using Microsoft.FSharp.Core;

namespace Doctor.Testing.Properties;

/// <summary>
/// The seed of property and fuzz runs: fixed, so CI checks the same cases every time and a failure reproduces; set
/// <see cref="Variable"/> to explore other cases (a failure prints the seed to put there).
/// </summary>
public static class PropertySeed
{
    public const string Variable = "DOCTOR_PROPERTY_SEED";
    public const ulong Default = 20260131;

    public static ulong FromEnvironment() =>
        ulong.TryParse(Environment.GetEnvironmentVariable(Variable), out var seed) ? seed : Default;

    /// <summary>Runs <paramref name="cases"/> cases from <paramref name="seed"/>; a failure throws with the case and the seed.</summary>
    public static Config Config(ulong seed, int cases) =>
        FsCheck.Config.QuickThrowOnFailure
            .WithMaxTest(cases)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed), FSharpOption<int>.None)));
}
