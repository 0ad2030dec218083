"""The `flask --app app ...` commands: migrations, demo data, the worker and
the outbox in a terminal."""
from __future__ import annotations

import os

import click
from flask import Flask

import demo
import tasks
from migrations import runner, upgrade as run_upgrade
from models import Message, Organisation


def production_problems(config) -> list[str]:
    """Settings production needs that are missing (empty: all set)."""
    problems = []
    if not os.environ.get('SECRET_KEY'):
        problems.append('SECRET_KEY is not set in the environment (every server '
                        'needs the same long random value)')
    if not os.environ.get('DATABASE_URL'):
        problems.append('DATABASE_URL is not set (the embedded SQLite database is '
                        'for development)')
    if not config.get('VONAGE_SIGNATURE_SECRET'):
        problems.append('VONAGE_SIGNATURE_SECRET is not set: the SMS webhooks '
                        'refuse every request')
    return problems


def register(app: Flask) -> None:
    db_cli = click.Group('db', help='Database schema migrations.')

    @db_cli.command('upgrade')
    @click.option('--target', default=None, help='Stop after this migration.')
    def upgrade(target):
        """Apply pending migrations."""
        applied = run_upgrade(target)
        click.echo('\n'.join(f'applied: {n}' for n in applied) or 'up to date')

    @db_cli.command('status')
    def status():
        """List migrations and whether they are applied."""
        for m in runner().status():
            click.echo(f"[{'x' if m.applied else ' '}] {m.name}")

    app.cli.add_command(db_cli)

    @app.cli.command('seed-demo')
    @click.option('--if-empty', is_flag=True, help='Only when there is no organisation.')
    def seed_demo(if_empty):
        """Create demo organisations and accounts (demo passwords!)."""
        if if_empty and Organisation.select().exists():
            click.echo('Database has data; demo seed skipped.')
            return
        for line in demo.seed():
            click.echo(line)

    @app.cli.command('check')
    def check():
        """Report missing production settings; exit 1 unless in development mode."""
        problems = production_problems(app.config)
        for problem in problems:
            click.echo(f'missing: {problem}', err=True)
        if not problems:
            click.echo('production settings: ok')
        elif app.config.get('DEV_MODE'):
            click.echo('development mode (PLANPOOL_DEV): not refused')
        else:
            raise SystemExit(1)

    @app.cli.command('worker')
    @click.option('--workers', default=2, show_default=True)
    def worker(workers):
        """Run the Huey consumer (background tasks and the periodic sweep)."""
        consumer = tasks.huey.create_consumer(workers=workers, periodic=True,
                                              worker_type='thread')
        consumer.run()

    @app.cli.command('outbox')
    @click.option('--limit', default=10, show_default=True)
    def outbox(limit):
        """Print the newest outbound messages (login codes in development)."""
        for m in (Message.select().where(Message.direction == Message.OUT)
                  .order_by(Message.id.desc()).limit(limit)):
            click.echo(f'{m.created_at:%H:%M:%S} {m.channel} {m.recipient} '
                       f'[{m.status}] {m.subject or m.body}')
