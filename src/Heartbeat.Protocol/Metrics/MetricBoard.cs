using System.Text;

namespace Heartbeat.Protocol.Metrics;

/// <summary>
/// The node's metrics: registered once at start-up (one line per series: a name, a help text, labels and a reader),
/// then published by the event loop into a preallocated frame and rendered by any other thread from the latest
/// published frame. The hand-over is a lock-free triple buffer: the loop fills its back frame and swaps it with the
/// middle one in one interlocked exchange; a reader swaps the middle one with its front frame when it is newer. The
/// loop never waits for a reader and allocates nothing; readers serialize among themselves only, and render a frame
/// once however many scrapes ask for it.
/// </summary>
public sealed class MetricBoard
{
    private const int FreshBit = 4;
    private const int IndexMask = 3;

    private readonly List<Family> _families = [];
    private readonly Dictionary<string, Family> _byName = new(StringComparer.Ordinal);
    private readonly List<Series> _scalars = [];
    private readonly List<Series> _histograms = [];
    private readonly Lock _readers = new();
    private Frame[] _frames = [];
    private int _bucketSlots;
    private volatile bool _sealed;

    /// <summary>The middle frame's index, with <see cref="FreshBit"/> set when the loop published it after the reader's last swap.</summary>
    private int _middle;

    private int _back;
    private long _published;

    // Reader side, under _readers.
    private int _front;
    private long _renderedSequence = -1;
    private byte[] _rendered = [];

    /// <summary>Whether the registration is over and a frame was published (before that, a scrape gets nothing).</summary>
    public bool Ready => _sealed && Volatile.Read(ref _published) > 0;

    /// <summary>Frames published so far (loop thread writes).</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>A counter: a <c>_total</c> name, a reader of a figure that only grows.</summary>
    public MetricBoard Counter(string name, string help, Func<double> read, params (string Name, string Value)[] labels)
    {
        if (!name.EndsWith("_total", StringComparison.Ordinal))
        {
            throw new ArgumentException($"counter '{name}' must end in _total", nameof(name));
        }

        return Add(name, MetricKind.Counter, help, read, null, labels);
    }

    public MetricBoard Gauge(string name, string help, Func<double> read, params (string Name, string Value)[] labels) =>
        Add(name, MetricKind.Gauge, help, read, null, labels);

    public MetricBoard Histogram(string name, string help, Histogram histogram, params (string Name, string Value)[] labels) =>
        Add(name, MetricKind.Histogram, help, null, histogram, labels);

    /// <summary>Ends the registration: the frames are allocated here, once.</summary>
    public void Seal()
    {
        if (_sealed)
        {
            return;
        }

        _frames = [new Frame(_scalars.Count, _histograms.Count, _bucketSlots), new Frame(_scalars.Count, _histograms.Count, _bucketSlots), new Frame(_scalars.Count, _histograms.Count, _bucketSlots)];
        _back = 0;
        _middle = 1;
        _front = 2;
        _sealed = true;
    }

    /// <summary>
    /// Reads every series into the back frame and hands it to the readers (the loop thread, or whichever single thread
    /// owns the figures' consistency). Allocation-free and wait-free.
    /// </summary>
    public void Publish()
    {
        if (!_sealed)
        {
            return;
        }

        var frame = _frames[_back];
        for (int i = 0; i < _scalars.Count; i++)
        {
            frame.Values[i] = _scalars[i].Read!();
        }

        for (int i = 0; i < _histograms.Count; i++)
        {
            var series = _histograms[i];
            frame.Sums[i] = series.Histogram!.CopyTo(frame.Buckets.AsSpan(series.Slot, series.Histogram.Slots));
        }

        frame.Sequence = _published + 1;
        _back = Interlocked.Exchange(ref _middle, _back | FreshBit) & IndexMask;
        Volatile.Write(ref _published, frame.Sequence);
    }

    /// <summary>The latest published frame as exposition text (UTF-8), or null before the first publication. Any thread.</summary>
    public byte[]? Render()
    {
        if (!Ready)
        {
            return null;
        }

        lock (_readers)
        {
            if ((Volatile.Read(ref _middle) & FreshBit) != 0)
            {
                _front = Interlocked.Exchange(ref _middle, _front) & IndexMask;
            }

            var frame = _frames[_front];
            if (frame.Sequence != _renderedSequence)
            {
                _rendered = Encoding.UTF8.GetBytes(Text(frame));
                _renderedSequence = frame.Sequence;
            }

            return _rendered;
        }
    }

    private MetricBoard Add(string name, MetricKind kind, string help, Func<double>? read, Histogram? histogram, (string Name, string Value)[] labels)
    {
        if (_sealed)
        {
            throw new InvalidOperationException("the metric board is sealed");
        }

        if (!PrometheusText.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid metric name", nameof(name));
        }

        if (!_byName.TryGetValue(name, out var family))
        {
            family = new Family(name, kind, help, []);
            _byName[name] = family;
            _families.Add(family);
        }
        else if (family.Kind != kind)
        {
            throw new ArgumentException($"metric '{name}' registered as {family.Kind} and as {kind}", nameof(kind));
        }

        string labelText = PrometheusText.Labels(labels);
        foreach (var existing in family.Series)
        {
            if (existing.Labels == labelText)
            {
                throw new ArgumentException($"metric '{name}{labelText}' registered twice", nameof(labels));
            }
        }

        Series series;
        if (histogram is null)
        {
            series = new Series(labelText, read, null, _scalars.Count, []);
            _scalars.Add(series);
        }
        else
        {
            var bucketLabels = new string[histogram.Slots];
            for (int i = 0; i < bucketLabels.Length; i++)
            {
                string le = i < histogram.Bounds.Length ? histogram.Bounds[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "+Inf";
                bucketLabels[i] = PrometheusText.Labels([.. labels, ("le", le)]);
            }

            series = new Series(labelText, null, histogram, _bucketSlots, bucketLabels) { Index = _histograms.Count };
            _bucketSlots += histogram.Slots;
            _histograms.Add(series);
        }

        family.Series.Add(series);
        return this;
    }

    private string Text(Frame frame)
    {
        var text = new StringBuilder(16 * 1024);
        foreach (var family in _families)
        {
            text.Append("# HELP ").Append(family.Name).Append(' ');
            PrometheusText.AppendHelp(text, family.Help);
            text.Append("\n# TYPE ").Append(family.Name).Append(' ').Append(PrometheusText.TypeName(family.Kind)).Append('\n');
            foreach (var series in family.Series)
            {
                if (series.Histogram is null)
                {
                    text.Append(family.Name).Append(series.Labels).Append(' ');
                    PrometheusText.AppendValue(text, frame.Values[series.Slot]);
                    text.Append('\n');
                    continue;
                }

                long cumulative = 0;
                for (int i = 0; i < series.BucketLabels.Length; i++)
                {
                    cumulative += frame.Buckets[series.Slot + i];
                    text.Append(family.Name).Append("_bucket").Append(series.BucketLabels[i]).Append(' ');
                    PrometheusText.AppendValue(text, cumulative);
                    text.Append('\n');
                }

                text.Append(family.Name).Append("_sum").Append(series.Labels).Append(' ');
                PrometheusText.AppendValue(text, frame.Sums[series.Index]);
                text.Append('\n').Append(family.Name).Append("_count").Append(series.Labels).Append(' ');
                PrometheusText.AppendValue(text, cumulative);
                text.Append('\n');
            }
        }

        return text.ToString();
    }

    private sealed record Family(string Name, MetricKind Kind, string Help, List<Series> Series);

    /// <param name="Slot">The scalar's index in <see cref="Frame.Values"/>, or the histogram's first bucket in <see cref="Frame.Buckets"/>.</param>
    private sealed record Series(string Labels, Func<double>? Read, Histogram? Histogram, int Slot, string[] BucketLabels)
    {
        /// <summary>A histogram's index in <see cref="Frame.Sums"/>.</summary>
        public int Index { get; init; }
    }

    private sealed class Frame(int scalars, int histograms, int bucketSlots)
    {
        public double[] Values { get; } = new double[scalars];

        public double[] Sums { get; } = new double[histograms];

        public long[] Buckets { get; } = new long[bucketSlots];

        public long Sequence { get; set; }
    }
}
