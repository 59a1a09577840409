using System.Collections.Concurrent;
using System.Data.Common;
using System.Linq.Expressions;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Banking.Messaging.Groups;

/// <summary>
/// Reads and writes the rows of one entity type by hand, with the table, columns and conversions its EF Core model
/// declares: the mapping stays in one place (the model, which also makes the migrations), while a group's rows go
/// out as one multi-row statement instead of through the change tracker.
/// </summary>
public sealed class EntityRows
{
    // By context type: asking a DbContext for its model readies its EF Core services, a cost paid only on first use here.
    private static readonly ConcurrentDictionary<(Type Context, Type Type), EntityRows> Known = new();

    private readonly Column[] columns;
    private readonly Column[] insertable;
    private readonly Column[] updatable;
    private readonly Column key;
    private readonly Func<object> create;

    private EntityRows(IEntityType entity)
    {
        Table = entity.GetTableName() ?? throw new InvalidOperationException($"{entity.ClrType.Name} is not mapped to a table");
        var store = StoreObjectIdentifier.Table(Table, entity.GetSchema());
        columns = [.. entity.GetProperties().Where(p => !p.IsShadowProperty()).Select(p => new Column(p, p.GetColumnName(store)!))];
        var primary = entity.FindPrimaryKey()?.Properties.SingleOrDefault() ?? throw new InvalidOperationException($"{entity.ClrType.Name} needs a single-column key");
        key = columns.Single(c => c.Property == primary);
        insertable = [.. columns.Where(c => c.Property.ValueGenerated == ValueGenerated.Never || c.Property.GetBeforeSaveBehavior() == PropertySaveBehavior.Save && c != key)];
        updatable = [.. columns.Where(c => c != key && c.Property.GetAfterSaveBehavior() == PropertySaveBehavior.Save)];
        create = Expression.Lambda<Func<object>>(Expression.Convert(Expression.New(entity.ClrType), typeof(object))).Compile();
        SelectList = string.Join(", ", columns.Select(c => $"`{c.Name}`"));
    }

    public static EntityRows For(DbContext db, Type type) =>
        Known.GetOrAdd((db.GetType(), type), k => new EntityRows(db.Model.FindEntityType(k.Type) ?? throw new InvalidOperationException($"{k.Context.Name} does not map {k.Type.Name}")));

    public string Table { get; }

    /// <summary>Every mapped column, in the order <see cref="Read"/> expects them.</summary>
    public string SelectList { get; }

    public string ColumnOf(string propertyName) => columns.Single(c => c.Property.Name == propertyName).Name;

    /// <summary>An entity from the current row of a reader over <see cref="SelectList"/>.</summary>
    public object Read(DbDataReader reader)
    {
        var entity = create();
        for (var i = 0; i < columns.Length; i++) columns[i].Set(entity, reader.IsDBNull(i) ? null : reader.GetValue(i));
        return entity;
    }

    /// <summary>One multi-row INSERT; a duplicate key fails it, and with it the group.</summary>
    public void AddInserts(GroupWrites writes, IReadOnlyCollection<object> entities)
    {
        if (entities.Count == 0) return;
        writes.InsertRows(Table, [.. insertable.Select(c => c.Name)], entities.Select(e => insertable.Select(c => c.Get(e)).ToArray()));
    }

    /// <summary>
    /// One UPDATE for all <paramref name="entities"/>, keyed by their primary key: <c>SET col = CASE key WHEN ... END</c>.
    /// Columns the database maintains (<c>ON UPDATE CURRENT_TIMESTAMP</c>) are left to it.
    /// </summary>
    public void AddUpdates(GroupWrites writes, IReadOnlyCollection<object> entities)
    {
        if (entities.Count == 0) return;
        var values = new List<object?>();
        var sql = new StringBuilder("UPDATE `").Append(Table).Append("` SET ");
        for (var c = 0; c < updatable.Length; c++)
        {
            if (c > 0) sql.Append(", ");
            sql.Append('`').Append(updatable[c].Name).Append("` = CASE `").Append(key.Name).Append('`');
            foreach (var entity in entities)
            {
                sql.Append(" WHEN ? THEN ?");
                values.Add(key.Get(entity));
                values.Add(updatable[c].Get(entity));
            }

            sql.Append(" END");
        }

        sql.Append(" WHERE `").Append(key.Name).Append("` IN (").Append(GroupWrites.Placeholders(entities.Count)).Append(')');
        values.AddRange(entities.Select(key.Get));
        writes.Add(sql.ToString(), [.. values]);
    }

    public void AddDelete(GroupWrites writes, object entity) =>
        writes.Add($"DELETE FROM `{Table}` WHERE `{key.Name}` = ?", key.Get(entity));

    private sealed class Column
    {
        private readonly Func<object, object?> get;
        private readonly Action<object, object?> set;
        private readonly ValueConverter? converter;
        private readonly Type target;

        public Column(IProperty property, string name)
        {
            Property = property;
            Name = name;
            converter = property.GetTypeMapping().Converter;
            var info = property.PropertyInfo ?? throw new InvalidOperationException($"{property.DeclaringType.ClrType.Name}.{property.Name} has no CLR property");
            var instance = Expression.Parameter(typeof(object));
            var value = Expression.Parameter(typeof(object));
            var typed = Expression.Convert(instance, info.DeclaringType!);
            get = Expression.Lambda<Func<object, object?>>(Expression.Convert(Expression.Property(typed, info), typeof(object)), instance).Compile();
            set = Expression.Lambda<Action<object, object?>>(Expression.Assign(Expression.Property(typed, info), Expression.Convert(value, info.PropertyType)), instance, value).Compile();
            target = Nullable.GetUnderlyingType(info.PropertyType) ?? info.PropertyType;
        }

        public IProperty Property { get; }

        public string Name { get; }

        public object? Get(object entity)
        {
            var value = get(entity);
            return value is not null && converter is not null ? converter.ConvertToProvider(value) : value;
        }

        public void Set(object entity, object? stored)
        {
            if (stored is null)
            {
                set(entity, null);
                return;
            }

            var value = converter is not null ? converter.ConvertFromProvider(stored) : stored;
            value = value switch
            {
                // What the columns keep is UTC (the bank's rule); the driver cannot know it.
                DateTime time => DateTime.SpecifyKind(time, DateTimeKind.Utc),
                _ when value!.GetType() == target => value,
                _ when target.IsEnum => Enum.ToObject(target, value!),
                _ => Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture),
            };
            set(entity, value);
        }
    }
}
