using AiMoviez.Contracts;

namespace AiMoviez.Edge.Catalog;

/// <summary>The newest catalog snapshot this edge has seen; kept while core is down.</summary>
internal sealed class CatalogStore
{
    private volatile CatalogView? _current;

    public CatalogView? Current => _current;

    /// <summary>Takes the snapshot unless an equal or newer version is already held.</summary>
    public bool Offer(CatalogSnapshot snapshot)
    {
        var current = _current;
        if (current is not null && current.Snapshot.Version >= snapshot.Version)
        {
            return false;
        }

        _current = new CatalogView(snapshot);
        return true;
    }
}
