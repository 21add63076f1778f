import type { CancellationReason } from '@fanout/contracts';
import type { SqliteDatabase } from '@fanout/service-kit';
import type { Order, OrderStatus } from './order';

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderStatus;
  items: string;
  currency: string;
  total_minor: number;
  shipping_address: string;
  cancellation_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** Orders in SQLite. Items and address are JSON columns: they are read and written whole. */
export class OrderRepository {
  private readonly insertOrder;
  private readonly selectById;
  private readonly updateStatus;

  constructor(db: SqliteDatabase) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS orders (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
        items TEXT NOT NULL,
        currency TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        shipping_address TEXT NOT NULL,
        cancellation_reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`);
    this.insertOrder = db.prepare(
      `INSERT INTO orders (id, customer_id, status, items, currency, total_minor, shipping_address, cancellation_reason, created_at, updated_at)
       VALUES (@id, @customerId, @status, @items, @currency, @totalMinor, @shippingAddress, NULL, @createdAt, @updatedAt)`,
    );
    this.selectById = db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE id = ?');
    // Only a PENDING order moves: a terminal state never changes again.
    this.updateStatus = db.prepare(
      `UPDATE orders SET status = @status, cancellation_reason = @reason, updated_at = @updatedAt
       WHERE id = @id AND status = 'PENDING'`,
    );
  }

  insert(order: Order): void {
    this.insertOrder.run({
      id: order.id,
      customerId: order.customerId,
      status: order.status,
      items: JSON.stringify(order.items),
      currency: order.currency,
      totalMinor: order.totalMinor,
      shippingAddress: JSON.stringify(order.shippingAddress),
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
    });
  }

  findById(id: string): Order | undefined {
    const row = this.selectById.get(id);
    if (row === undefined) return undefined;
    return {
      id: row.id,
      customerId: row.customer_id,
      status: row.status,
      items: JSON.parse(row.items) as Order['items'],
      currency: row.currency,
      totalMinor: row.total_minor,
      shippingAddress: JSON.parse(row.shipping_address) as Order['shippingAddress'],
      cancellationReason: row.cancellation_reason
        ? (JSON.parse(row.cancellation_reason) as CancellationReason)
        : null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** Moves a PENDING order to a terminal status; false when it was not PENDING (or is unknown). */
  finish(
    id: string,
    status: 'CONFIRMED' | 'CANCELLED',
    reason: CancellationReason | null,
    at: string,
  ): boolean {
    const result = this.updateStatus.run({
      id,
      status,
      reason: reason === null ? null : JSON.stringify(reason),
      updatedAt: at,
    });
    return result.changes === 1;
  }
}
