namespace Pipeline.Bench.Detection;

/// <summary>An event with its ground-truth label ("normal" or the attack type).</summary>
internal readonly record struct Labelled<T>(T Event, string Label)
{
    public bool IsAttack => Label != "normal";
}
