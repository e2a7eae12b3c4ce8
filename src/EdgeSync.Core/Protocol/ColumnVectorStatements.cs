using EdgeSync.Internal;

namespace EdgeSync.Protocol;

/// <summary>
/// Moves values between a <see cref="ColumnVector"/> and a <see cref="RawStatement"/> without boxing: the bulk paths
/// of insert runs (extraction reads a run's columns, apply inserts them).
/// </summary>
internal static class ColumnVectorStatements
{
    /// <summary>Binds value <paramref name="row"/> of <paramref name="column"/> to parameter <paramref name="index"/>.</summary>
    public static void Bind(this RawStatement statement, int index, ColumnVector column, int row)
    {
        switch (column.TypeAt(row))
        {
            case ValueTag.Integer:
                statement.BindInt64(index, column.Int64At(row));
                break;
            case ValueTag.Real:
                statement.BindDouble(index, column.DoubleAt(row));
                break;
            case ValueTag.Text:
                statement.BindText(index, column.BytesAt(row));
                break;
            case ValueTag.Blob:
                statement.BindBlob(index, column.BytesAt(row));
                break;
            default:
                statement.BindNull(index);
                break;
        }
    }

    /// <summary>Appends result column <paramref name="index"/> of the current row to <paramref name="column"/>.</summary>
    public static void ReadInto(this RawStatement statement, int index, ColumnVector column)
    {
        switch (statement.ColumnTag(index))
        {
            case ValueTag.Integer:
                column.AddInt64(statement.ColumnInt64(index));
                break;
            case ValueTag.Real:
                column.AddDouble(statement.ColumnDouble(index));
                break;
            case ValueTag.Text:
                column.AddText(statement.ColumnBytes(index));
                break;
            case ValueTag.Blob:
                column.AddBlob(statement.ColumnBytes(index));
                break;
            default:
                column.AddNull();
                break;
        }
    }
}
